"""Spiders: one per CMS family, and a generic one that needs only a start URL."""
