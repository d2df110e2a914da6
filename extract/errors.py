"""gkreport's exceptions. Each class has a stable exit code and a message that says what to do.

Errors raised by third-party libraries (pdfminer, pypdfium2, onnxruntime, lxml...) are translated
at the seam: ``raise InputFileError(path, "...") from e``. Bad input is never confused with a bug.
"""

from __future__ import annotations


class ExitCode:
    ok = 0
    some_failed = 1          # a batch or multi-file run where at least one input failed
    bad_args = 2             # the command line is wrong
    input_file = 3           # the input cannot be read: missing, corrupt, empty, unsupported
    encrypted = 4            # the input is password-protected
    not_a_report = 5         # readable, but not an annual report (no statistical tables found)
    limit = 6                # a resource bound refused the job (pages, pixels, size, time)
    model = 7                # the trained model is missing or does not match this installation
    internal = 10            # our own bug: please report it


class GkError(Exception):
    """Base class of gkreport's own errors."""

    exit_code = ExitCode.internal

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputFileError(GkError):
    """The input file cannot be read (missing, corrupt, empty, unsupported kind)."""

    exit_code = ExitCode.input_file

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class EncryptedFileError(InputFileError):
    exit_code = ExitCode.encrypted


class NotAReportError(InputFileError):
    exit_code = ExitCode.not_a_report


class LimitExceededError(InputFileError):
    """A resource bound refused the job. The message names the limit and the option raising it."""

    exit_code = ExitCode.limit


class ModelError(GkError):
    exit_code = ExitCode.model


class OptionsError(GkError):
    exit_code = ExitCode.bad_args
