"""The emulator's VPP state as plain Python objects: interfaces, bonds, IP tables and routes."""
