"""kdviz: the shared core of the knowledge-distillation explorer.

Pure Python/PyTorch: no module here imports streamlit, and everything runs on CPU or CUDA.
"""
