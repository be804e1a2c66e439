"""The robustness evaluation's own user-facing error."""
from gcp_mm.errors import InputError


class RobustnessInputError(InputError):
    """A folder, file or name given to the robustness evaluation that does
    not fit it; the message names it and the fix."""
