"""The small-area map (普查小区图): map tasks for a cohort and trainees' drawings."""
