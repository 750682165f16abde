"""Forecasting: opportunities through the vendor's stages, partner commits, the forecast."""
