"""Video inputs: telling a video from an image, reading it safely, timed frames, scene
changes and OCR per keyframe."""
