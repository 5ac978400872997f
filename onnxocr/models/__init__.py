"""Model management: the catalog, the store, installed models wheels and exported model folders."""
