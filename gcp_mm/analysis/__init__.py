from .landscape import bands, find_records, plot

__all__ = ['find_records', 'bands', 'plot']
