"""Streamlit glue shared by the pages (state binding, messages). The only code besides app_pages/ that imports streamlit."""
