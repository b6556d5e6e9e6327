"""Base-image recipes (package lists and root filesystem assembly), hashed into the base image tags."""
