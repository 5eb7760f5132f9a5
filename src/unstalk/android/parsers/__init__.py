"""Pure parsers of what each adb command prints, for Android 9 to 15.

Each parser takes the command's output as text and a ``source`` label (the
acquisition file or dumpstate section) and returns a
:class:`unstalk.android.model.Parsed`: ``OK``; ``PARTIAL`` with ``problems``
naming the lines or sections it did not understand (at most 20 are listed);
or ``UNPARSED`` when the text is not that command's output at all (empty, an
error such as ``Can't find service: accessibility``, or another command's
output). Nothing is guessed silently.

Which parser reads which command (module: function, command):

- ``getprop``: ``parse_getprop``, ``getprop``
- ``packages``: ``parse_package_list``, ``pm list packages -f -i -U --show-versioncode -u``;
  ``parse_package_names``, ``pm list packages -s`` / ``-3`` / ``-d``;
  ``build_app_packages`` merges those lists with the dump below
- ``package_dump``: ``parse_dumpsys_package``, ``dumpsys package``
- ``accessibility``: ``parse_accessibility``, ``dumpsys accessibility`` and the
  ``enabled_accessibility_services`` secure setting
- ``device_policy``: ``parse_device_policy``, ``dumpsys device_policy``
- ``notification``: ``parse_notification_listeners``, ``dumpsys notification`` and the
  ``enabled_notification_listeners`` secure setting
- ``appops``: ``parse_appops``, ``dumpsys appops``
- ``location``: ``parse_location``, ``dumpsys location``
- ``usagestats``: ``parse_usagestats``, ``dumpsys usagestats``
- ``activity_services``: ``parse_activity_services``, ``dumpsys activity services``
- ``settings``: ``parse_settings_list``, ``settings list secure|system|global``;
  ``combine_settings`` joins the three namespaces
- ``launcher``: ``parse_launcher_activities``, ``cmd package query-activities
  --components -a android.intent.action.MAIN -c android.intent.category.LAUNCHER``
  (``--brief`` and the full form are read too)
- ``root``: ``parse_root_checks``, ``which su``, ``ls -ld`` of the known root paths
  (stdout and stderr), getprop and the installed package names

Times the phone prints in its local time are read in the zone given as ``tz``
(see ``getprop.device_timezone``); app-op times can also be placed from ``now``,
the moment the dump was taken. Component names are always returned in full form
(``pkg/pkg.Cls``).
"""
