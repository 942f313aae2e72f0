"""Language-model distillation: a small character model, its tokenizer and corpus, and the token-level losses."""
