"""CDEvents over CloudEvents (HTTP binary and structured modes)."""
