"""The test suite: real parts (the sandbox over loopback HTTP, Pilot), never mocks."""
