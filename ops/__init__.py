"""Outsourced customer-service operations manager."""
