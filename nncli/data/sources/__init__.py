"""The data sources, one module per family; each registers its entries in ``SOURCES``."""
