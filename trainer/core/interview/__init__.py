"""The simulated door-to-door visit: state machine, respondent model, events (paradata)."""
