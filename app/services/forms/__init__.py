"""Printed documents: the application form (申請書) with its approved copy, and class letters.

The screens and the command line use `FormService`; the kiosk's step 2 uses `parse_class_qr`
to read the QR code of a class letter."""

from app.services.forms.qr import class_qr_text, parse_class_qr
from app.services.forms.service import FormService, PrintJob, Rendered, SavedForm

__all__ = ["FormService", "PrintJob", "Rendered", "SavedForm", "class_qr_text", "parse_class_qr"]
