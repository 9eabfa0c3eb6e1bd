"""Fitting user models to logged data: maximum likelihood with standard errors."""
