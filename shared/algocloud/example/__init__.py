"""The bundled example application: warehouse slot allocation."""
