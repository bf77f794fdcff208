"""Segmentation (客户细分): value segments from settlement events, life stages, family stages."""
