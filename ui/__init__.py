"""Streamlit glue shared by the pages (state binding, messages). The only code besides pages/ that imports streamlit."""
