# fish completion for berthctl(1)
# SPDX-License-Identifier: LGPL-2.1-or-later

function __berthctl_machines
    for f in /run/berth/machines/*
        test -f $f; and basename $f
    end
end

function __berthctl_images
    for f in /var/lib/machines/* /usr/local/lib/machines/* /usr/lib/machines/* /var/lib/container/*
        if test -d $f
            basename $f
        else if string match -q '*.raw' $f
            basename $f .raw
        end
    end
end

set -l machine_verbs status show stop poweroff reboot terminate kill pause resume shell login copy-to copy-from bind
set -l image_verbs image-status show-image remove clone rename read-only cat edit export-tar export-raw start enable disable
set -l verbs list $machine_verbs $image_verbs list-images clean import-tar import-raw
complete -c berthctl -f
complete -c berthctl -n "not __fish_seen_subcommand_from $verbs" -a "$verbs"
complete -c berthctl -n "__fish_seen_subcommand_from $machine_verbs" -a '(__berthctl_machines)'
complete -c berthctl -n "__fish_seen_subcommand_from $image_verbs" -a '(__berthctl_images)'
complete -c berthctl -n "__fish_seen_subcommand_from import-tar import-raw" -F
complete -c berthctl -s h -l help -d 'Show help'
complete -c berthctl -l version -d 'Show the version'
complete -c berthctl -l json -x -a 'short pretty off' -d 'Print JSON'
complete -c berthctl -l no-legend -d 'No headers and footers'
complete -c berthctl -l no-pager -d 'Do not start a pager'
complete -c berthctl -s q -l quiet -d 'Suppress informational messages'
complete -c berthctl -s p -l property -x -d 'Show only this property'
complete -c berthctl -l value -d 'Show only values'
complete -c berthctl -s s -l signal -x -d 'Signal to send'
complete -c berthctl -l kill-whom -x -a 'leader all' -d 'Whom to signal'
complete -c berthctl -l uid -x -d 'User for shell'
complete -c berthctl -s E -l setenv -x -d 'Environment variable for shell'
complete -c berthctl -l now -d 'Also start or stop'
complete -c berthctl -l read-only -d 'Read-only'
complete -c berthctl -l mkdir -d 'Create a missing bind target'
complete -c berthctl -l force -d 'Replace existing images'
complete -c berthctl -s a -l all -d 'With clean, also remove unused images'
