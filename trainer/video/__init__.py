"""Recorded visit clips: resumable upload, processing in the job queue (ffmpeg renditions,
poster, thumbnail strip, blurred redactions), streaming with range requests, captions,
chapters, lesson questions, links into scenarios, and watching progress."""
