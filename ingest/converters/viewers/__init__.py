"""What the portal shows: key images and Neuroglancer states and annotations."""
