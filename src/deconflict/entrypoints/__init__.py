"""How the world reaches deconflict: the HTTP API and the command line."""
