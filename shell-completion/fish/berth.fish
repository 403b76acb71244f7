# fish completion for berth(1)
# SPDX-License-Identifier: LGPL-2.1-or-later

function __berth_machines
    for d in /var/lib/machines /usr/local/lib/machines /usr/lib/machines /var/lib/container
        for m in $d/*/
            basename $m
        end
    end
end

# Options end at the first word that is not one (or after "--"): prints the position of the
# command in the words before the cursor, or nothing when there is none yet.
function __berth_command_index
    set -l words (commandline -opc)
    set -l want_value 0
    for i in (seq 2 (count $words))
        set -l w $words[$i]
        if test $want_value = 1
            set want_value 0
            continue
        end
        switch $w
            case '--'
                set -l next (math $i + 1)
                test $next -le (count $words); and echo $next
                return
            case '--*=*'
            case --directory --template --machine --hostname --uuid --chdir --setenv --user \
                    --kill-signal --resolv-conf --timezone --console --notify-ready --link-journal \
                    --register --slice --property
                set want_value 1
            case '-*'
                if string match -qr '^-[^-]*[DMEuS]$' -- $w
                    set want_value 1
                end
            case '*'
                echo $i
                return
        end
    end
end

function __berth_no_command
    test -z "$(__berth_command_index)"
end

# After the command: what the command itself would complete.
function __berth_command_args
    set -l words (commandline -opc)
    set -l i (__berth_command_index)
    complete -C "$(string escape -- $words[$i..-1]) $(commandline -ct)"
end

complete -c berth -f -n __berth_no_command -a '(__fish_complete_command)'
complete -c berth -f -n 'not __berth_no_command' -a '(__berth_command_args)'
complete -c berth -n __berth_no_command -s h -l help -d 'Show the help'
complete -c berth -n __berth_no_command -l version -d 'Show the version'
complete -c berth -n __berth_no_command -s D -l directory -r -a '(__fish_complete_directories)' -d 'Root directory of the container'
complete -c berth -n __berth_no_command -l template -r -a '(__fish_complete_directories)' -d 'Create the directory as a copy of this tree if missing'
complete -c berth -n __berth_no_command -s x -l ephemeral -d 'Run on a throw-away overlay; the tree is not changed'
complete -c berth -n __berth_no_command -s M -l machine -x -a '(__berth_machines)' -d 'Machine name'
complete -c berth -n __berth_no_command -l hostname -x -d 'Hostname inside the container'
complete -c berth -n __berth_no_command -l uuid -x -d 'Machine ID, when the tree has none'
complete -c berth -n __berth_no_command -s a -l as-pid2 -d 'Run the command as PID 2 under a stub PID 1'
complete -c berth -n __berth_no_command -s b -l boot -d 'Boot the init system of the tree'
complete -c berth -n __berth_no_command -l chdir -r -a '(__fish_complete_directories)' -d 'Working directory inside the container'
complete -c berth -n __berth_no_command -s E -l setenv -x -a '(set -xn)=' -d 'Set an environment variable'
complete -c berth -n __berth_no_command -s u -l user -x -a '(__fish_complete_users)' -d 'Run as this user of the container'
complete -c berth -n __berth_no_command -s q -l quiet -d 'Print no status messages'
complete -c berth -n __berth_no_command -l kill-signal -x -a '(string replace -r "^" SIG -- (kill -l | string split " ")) help' -d 'Signal sent to PID 1 to stop'
complete -c berth -n __berth_no_command -l read-only -d 'Mount the root directory read-only'
complete -c berth -n __berth_no_command -l volatile -x -a 'no yes state overlay help' -d 'Run with a root whose changes are not kept'
complete -c berth -n __berth_no_command -l resolv-conf -x -a 'off copy-host copy-static copy-uplink copy-stub replace-host replace-static replace-uplink replace-stub bind-host bind-static bind-uplink bind-stub delete auto help' -d 'How /etc/resolv.conf is set up'
complete -c berth -n __berth_no_command -l timezone -x -a 'off copy bind symlink delete auto help' -d 'How /etc/localtime is set up'
complete -c berth -n __berth_no_command -l console -x -a 'interactive read-only passive pipe autopipe help' -d 'How the console is connected'
complete -c berth -n __berth_no_command -s P -l pipe -d 'Same as --console=pipe'
complete -c berth -n __berth_no_command -l private-network -d 'Only a loopback interface in the container'
complete -c berth -n __berth_no_command -l notify-ready -x -a 'yes no' -d 'Report ready when the payload does'
complete -c berth -n __berth_no_command -l link-journal -x -a 'no host try-host guest try-guest auto help' -d 'Where the guest journal is made visible'
complete -c berth -n __berth_no_command -s j -d 'Same as --link-journal=try-guest'
complete -c berth -n __berth_no_command -l keep-unit -d 'Stay in the calling unit; exit 133 on reboot'
complete -c berth -n __berth_no_command -l register -x -a 'yes no auto help' -d 'Register with systemd-machined'
complete -c berth -n __berth_no_command -s S -l slice -x -d "Slice of the machine's scope"
complete -c berth -n __berth_no_command -l property -x -a 'CPUAccounting= MemoryAccounting= IOAccounting= TasksAccounting= Description= CollectMode= DevicePolicy= KillMode= CPUWeight= StartupCPUWeight= IOWeight= StartupIOWeight= MemoryMin= MemoryLow= MemoryHigh= MemoryMax= MemorySwapMax= TasksMax= CPUQuota= DeviceAllow=' -d "Unit property of the machine's scope"
