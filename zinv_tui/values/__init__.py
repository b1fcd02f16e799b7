"""Plain values shared by the API clients and the service: numbers as Zettle writes them, open
enums, the product catalogue. No I/O, and nothing else of the app is imported here, so both
layers (and the public client on its own) can use them."""
