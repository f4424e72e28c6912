"""Mail: composing messages and handing them to whoever delivers them.

``open_sender(settings)`` picks the backend: ``SmtpSender`` when ``smtp_url`` is set, else
``FileSender``, the zero-configuration default, which writes each message as an ``.eml`` file
under ``<data_dir>/mail`` and logs a warning naming it. Every ``Sender.send`` is synchronous
(the web layer calls it in a worker thread) and raises only ``Unavailable`` when the message
could not be handed over; ``compose`` builds the messages and refuses header injection.
"""

from strongroom.mail.factory import open_sender
from strongroom.mail.files import FileSender
from strongroom.mail.message import Sender, compose
from strongroom.mail.smtp import SmtpSender

__all__ = ["FileSender", "Sender", "SmtpSender", "compose", "open_sender"]
