"""Texts of the call view (static/js/videocall.js), in the page's language."""

from django.utils.translation import gettext as _


def video_strings() -> dict[str, str]:
    return {
        "video_denied": _(
            "The browser was not allowed to use the camera and microphone. Allow them in the "
            "browser's settings and try again, or continue in writing."
        ),
        "video_no_device": _(
            "No camera or microphone was found. Connect one and try again, or continue in writing."
        ),
        "video_device_busy": _(
            "The camera or microphone is in use by another program. Close it and try again."
        ),
        "video_device_error": _(
            "The camera or microphone could not be started. Try again, or continue in writing."
        ),
        "video_connecting": _("Connecting the video call…"),
        "video_connected": _("The video call is on."),
        "video_failed": _("The video connection was lost. Hang up and continue in writing."),
        "video_duration": _("Duration %(time)s"),
        "video_mute": _("Mute"),
        "video_unmute": _("Unmute"),
        "video_camera_off": _("Camera off"),
        "video_camera_on": _("Camera on"),
        "video_declined": _("The video call was declined. The chat continues in writing."),
        "video_expired": _("The video call was not answered in time."),
        "video_ended": _("The video call ended. The chat continues in writing."),
        "video_requested": _("Asked: waiting for the resident to allow the call."),
        "video_accepted": _("Allowed: connecting."),
        "video_active": _("In progress."),
        "check_running": _("Testing: your own picture should come back in a moment…"),
        "check_ok": _("Camera, microphone and connection work. Round trip %(ms)s ms."),
        "check_failed": _("The connection test did not succeed. The call may not work from here."),
    }
