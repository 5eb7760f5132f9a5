"""Indicator feeds: the model, loaders for every format, the match index and exporters."""
