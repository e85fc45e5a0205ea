"""/v1/audio/transcriptions: the uploaded file and its options, and the transcript in the format asked for."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, PlainTextResponse, Response

from app.api.errors import invalid
from app.core.subtitles import Line, render

FORMATS = ("json", "text", "srt", "vtt", "verbose_json")


@dataclass
class Upload:
    path: str  # a private temporary copy, removed when the request ends
    language: str | None
    prompt: str | None
    response_format: str

    def remove(self) -> None:
        Path(self.path).unlink(missing_ok=True)


async def upload_from(form) -> Upload:
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise invalid("Send the audio as a file field named “file”.", "file")
    if not isinstance(form.get("model"), str) or not form.get("model"):
        raise invalid("“model” is required (any name: the server's speech model answers).", "model")
    kind = form.get("response_format") or "json"
    if kind not in FORMATS:
        raise invalid(f"response_format must be one of {', '.join(FORMATS)}.", "response_format")
    language = form.get("language") or None
    if language is not None and (not isinstance(language, str) or not language.isalpha() or len(language) > 8):
        raise invalid("“language” must be a language code such as en or fr.", "language")
    prompt = form.get("prompt") or None
    suffix = "".join(c for c in Path(file.filename or "").suffix[:8] if c.isalnum() or c == ".")
    path = await run_in_threadpool(_spool, file, suffix)
    return Upload(path, language, prompt if isinstance(prompt, str) else None, kind)


def _spool(file: UploadFile, suffix: str) -> str:
    """Copy the upload to a file of its own: the speech engine (another process) reads it by path."""
    handle, path = tempfile.mkstemp(prefix="hearth-upload-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            file.file.seek(0)
            while chunk := file.file.read(1 << 20):
                out.write(chunk)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return path


def transcript_response(lines: list[Line], upload: Upload, duration: float) -> Response:
    text = " ".join(line.text.strip() for line in lines if line.text.strip())
    kind = upload.response_format
    if kind == "json":
        return JSONResponse({"text": text})
    if kind == "verbose_json":
        segments = [{"id": i, "seek": 0, "start": line.start, "end": line.end, "text": line.text, "tokens": [],
                     "temperature": 0.0, "avg_logprob": 0.0, "compression_ratio": 0.0, "no_speech_prob": 0.0}
                    for i, line in enumerate(lines)]
        return JSONResponse({"task": "transcribe", "language": upload.language or "en",
                             "duration": round(duration, 3), "text": text, "segments": segments})
    if kind == "text":
        return PlainTextResponse(text + "\n")
    media = "text/vtt" if kind == "vtt" else "application/x-subrip"
    return Response(render(lines, kind), media_type=media)
