"""Qinzi (親子): parent–child account binding for school-office kiosks."""

__version__ = "0.1.0"
