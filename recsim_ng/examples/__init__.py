"""Small networks that show the framework's mechanics, and the benchmark's reference network."""
