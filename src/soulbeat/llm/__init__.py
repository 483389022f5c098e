"""Who thinks: model providers behind one protocol."""
