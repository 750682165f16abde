"""Knowledge: the knowledge base (articles) and the best-practice library."""
