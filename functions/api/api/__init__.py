"""The API Lambda: the Algomancy HTTP contract as a FastAPI app behind Mangum."""
