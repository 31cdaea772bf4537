"""Errors a parser raises when it cannot produce a record at all."""


class ParseError(Exception):
    """A document could not be parsed; the message says why."""


class UnsupportedFormat(ParseError):
    """The document's format (sniffed from its content) has no parser."""


class EmptyDocument(ParseError):
    """The document holds no text at all."""


class DocumentTooLarge(ParseError):
    """The document exceeds a size or page limit and was refused."""
