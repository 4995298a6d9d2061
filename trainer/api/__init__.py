"""The read-only JSON API (`/api/v1/`) and the page where examiners and admins manage tokens."""
