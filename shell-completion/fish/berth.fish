# fish completion for berth(1)
# SPDX-License-Identifier: LGPL-2.1-or-later

function __berth_machines
    for d in /var/lib/machines /usr/local/lib/machines /usr/lib/machines /var/lib/container
        for m in $d/*/
            basename $m
        end
    end
end

function __berth_capabilities
    string split ' ' -- CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL \
        CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST \
        CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT \
        CAP_SYS_PTRACE CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME \
        CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP \
        CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ \
        CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE help
end

# The host's network interfaces; with "bridge", its bridges only.
function __berth_links
    for l in /sys/class/net/*
        if test "$argv[1]" = bridge; and not test -d $l/bridge
            continue
        end
        basename $l
    end
end

function __berth_syscall_groups
    string split ' ' -- @aio @basic-io @chown @clock @cpu-emulation @debug @default @file-system \
        @io-event @ipc @keyring @memlock @module @mount @network-io @obsolete @pkey @process @raw-io \
        @reboot @resources @setuid @signal @swap @sync @timer
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
            case --directory --image --template --machine --hostname --uuid --chdir --setenv --user \
                    --kill-signal --resolv-conf --timezone --console --notify-ready --link-journal \
                    --register --slice --property --settings --capability --drop-capability \
                    --ambient-capability --no-new-privileges --system-call-filter --rlimit \
                    --oom-score-adjust --cpu-affinity --personality --private-users-ownership
                set want_value 1
            case --network-veth-extra --network-bridge --network-zone --network-interface \
                    --network-macvlan --network-ipvlan --network-namespace-path --port
                set want_value 1
            case --bind --bind-ro --tmpfs --overlay --overlay-ro --inaccessible --pivot-root
                set want_value 1
            case '-*'
                if string match -qr '^-[^-]*[DiMEuSp]$' -- $w
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
complete -c berth -n __berth_no_command -s i -l image -r -F -d 'Raw disk image to run'
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
complete -c berth -n __berth_no_command -l pivot-root -x -d "Make this directory of the tree the root: NEW[:OLD]"
complete -c berth -n __berth_no_command -l bind -r -F -d 'Bind a host path into the container: SRC[:DST[:OPTS]]'
complete -c berth -n __berth_no_command -l bind-ro -r -F -d 'Bind a host path read-only: SRC[:DST[:OPTS]]'
complete -c berth -n __berth_no_command -l tmpfs -x -d 'Mount a tmpfs: PATH[:OPTS]'
complete -c berth -n __berth_no_command -l overlay -r -F -d 'Mount an overlay: LOWER...:UPPER[:DST]'
complete -c berth -n __berth_no_command -l overlay-ro -r -F -d 'Mount a read-only overlay: LOWER...:UPPER[:DST]'
complete -c berth -n __berth_no_command -l inaccessible -x -d 'Make this path in the container inaccessible'
complete -c berth -n __berth_no_command -l resolv-conf -x -a 'off copy-host copy-static copy-uplink copy-stub replace-host replace-static replace-uplink replace-stub bind-host bind-static bind-uplink bind-stub delete auto help' -d 'How /etc/resolv.conf is set up'
complete -c berth -n __berth_no_command -l timezone -x -a 'off copy bind symlink delete auto help' -d 'How /etc/localtime is set up'
complete -c berth -n __berth_no_command -l console -x -a 'interactive read-only passive pipe autopipe help' -d 'How the console is connected'
complete -c berth -n __berth_no_command -s P -l pipe -d 'Same as --console=pipe'
complete -c berth -n __berth_no_command -l private-network -d 'Only a loopback interface in the container'
complete -c berth -n __berth_no_command -s n -l network-veth -d 'A veth pair: ve-NAME on the host, host0 inside'
complete -c berth -n __berth_no_command -l network-veth-extra -x -d 'Another veth pair: HOST[:CONTAINER]'
complete -c berth -n __berth_no_command -l network-bridge -x -a '(__berth_links bridge)' -d "The veth's host side joins this bridge"
complete -c berth -n __berth_no_command -l network-zone -x -d "The veth's host side joins bridge vz-ZONE"
complete -c berth -n __berth_no_command -l network-interface -x -a '(__berth_links)' -d 'Move a host interface into the container'
complete -c berth -n __berth_no_command -l network-macvlan -x -a '(__berth_links)' -d 'A macvlan link on this interface'
complete -c berth -n __berth_no_command -l network-ipvlan -x -a '(__berth_links)' -d 'An ipvlan link on this interface'
complete -c berth -n __berth_no_command -l network-namespace-path -r -F -d 'Join the network namespace at this path'
complete -c berth -n __berth_no_command -s p -l port -x -a 'tcp: udp:' -d 'Forward a port of the host: [tcp:|udp:]HOST[:CONTAINER]'
complete -c berth -n __berth_no_command -l notify-ready -x -a 'yes no' -d 'Report ready when the payload does'
complete -c berth -n __berth_no_command -l link-journal -x -a 'no host try-host guest try-guest auto help' -d 'Where the guest journal is made visible'
complete -c berth -n __berth_no_command -s j -d 'Same as --link-journal=try-guest'
complete -c berth -n __berth_no_command -l keep-unit -d 'Stay in the calling unit; exit 133 on reboot'
complete -c berth -n __berth_no_command -l register -x -a 'yes no auto help' -d 'Register with systemd-machined'
complete -c berth -n __berth_no_command -s S -l slice -x -d "Slice of the machine's scope"
complete -c berth -n __berth_no_command -l property -x -a 'CPUAccounting= MemoryAccounting= IOAccounting= TasksAccounting= Description= CollectMode= DevicePolicy= KillMode= CPUWeight= StartupCPUWeight= IOWeight= StartupIOWeight= MemoryMin= MemoryLow= MemoryHigh= MemoryMax= MemorySwapMax= TasksMax= CPUQuota= DeviceAllow=' -d "Unit property of the machine's scope"
complete -c berth -n __berth_no_command -s U -d 'A user namespace with a picked UID range'
complete -c berth -n __berth_no_command -l private-users -x -a 'yes no pick identity' -d 'Run in a user namespace'
complete -c berth -n __berth_no_command -l private-users-ownership -x -a 'off chown map auto help' -d "How the tree's files get the range's owners"
complete -c berth -n __berth_no_command -l private-users-chown -d "Shift the owners of the tree's files"
complete -c berth -n __berth_no_command -l settings -x -a 'yes no override trusted help' -d 'Whether and how NAME.nspawn is read'
complete -c berth -n __berth_no_command -l capability -x -a '(__berth_capabilities) all' -d 'Add capabilities to the bounding set'
complete -c berth -n __berth_no_command -l drop-capability -x -a '(__berth_capabilities) all' -d 'Drop capabilities from the bounding set'
complete -c berth -n __berth_no_command -l ambient-capability -x -a '(__berth_capabilities)' -d 'Keep capabilities as any user'
complete -c berth -n __berth_no_command -l no-new-privileges -x -a 'yes no' -d 'Set no_new_privs for the payload'
complete -c berth -n __berth_no_command -l system-call-filter -x -a '(__berth_syscall_groups) (__berth_syscall_groups | string replace -r "^" "~") help' -d 'Allow (or with ~ refuse) system calls'
complete -c berth -n __berth_no_command -l rlimit -x -a 'CPU= FSIZE= DATA= STACK= CORE= RSS= NPROC= NOFILE= MEMLOCK= AS= LOCKS= SIGPENDING= MSGQUEUE= NICE= RTPRIO= RTTIME= help' -d 'Set a resource limit for the payload'
complete -c berth -n __berth_no_command -l oom-score-adjust -x -d 'Adjust the OOM score of the payload'
complete -c berth -n __berth_no_command -l cpu-affinity -x -d 'Run the payload on these CPUs only'
complete -c berth -n __berth_no_command -l personality -x -a 'x86 x86-64' -d "Run with this architecture's execution domain"
