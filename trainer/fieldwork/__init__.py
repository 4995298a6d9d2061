"""The trainee's field work: assigned exercises, listing, visits and forms."""
