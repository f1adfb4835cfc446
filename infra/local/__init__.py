"""The local stack: moto, the Chalice app, and the pieces `chalice local` lacks."""
