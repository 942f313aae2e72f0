"""Lesson logic behind each training page: configs, job tasks and summaries (no streamlit)."""
