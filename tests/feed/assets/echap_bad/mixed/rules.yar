rule goodspy : stalkerware {
    strings:
        $a = "goodspy.example" ascii
    condition:
        $a
}

rule mysteryspy : stalkerware {
    condition:
        filesize < 10
}
