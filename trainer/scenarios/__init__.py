"""The scenario catalogue, the library sync and trainers playing scenarios."""
