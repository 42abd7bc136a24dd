"""A small shop: customers order products; each order has lines."""
