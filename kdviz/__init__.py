"""kdviz: the shared core of the knowledge-distillation explorer.

Pure Python/PyTorch: no module here imports streamlit, and everything runs on CPU or CUDA.
Importing kdviz (which any ``import kdviz.x`` does first) registers every training method, so
method names are valid whatever is imported first.
"""
import kdviz.paradigms  # noqa: F401,E402  (registers the KD paradigms into the engine)
