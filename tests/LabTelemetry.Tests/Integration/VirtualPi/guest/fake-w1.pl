#!/usr/bin/perl
# The kernel's w1 sysfs as the DS18B20 driver reads it (/sys/bus/w1/devices, /sys/devices/w1_bus_master1), with one
# thermometer reading 23.125 °C, for a boot with virtualpi.fake_w1: no simulated GPIO can answer a 1-Wire reset.
# The kernel's own w1 bus (the wire module, no master) gives /sys/bus/w1/devices to mount over; /sys/devices gets a
# tmpfs holding every real entry bound back in place, so that nothing else loses what it reads there. Both are made
# aside and moved into place whole: a reader that looked while they were half made (NetworkManager did) would find
# wlan0 without its radio and take it for Ethernet.
#
# Perl (perl-base is in every Debian) so that one process makes all the mounts: each mount(8) costs a third of a
# second under emulation on a busy machine, and there are over a dozen.
use strict;
use warnings;

my $thermometer = '28-00000a1b2c3d';
my $stage = '/run/virtualpi-w1';

# x86_64's mount(2) and umount2(2), and <linux/mount.h>'s flags.
use constant { SYS_MOUNT => 165, SYS_UMOUNT2 => 166, MS_BIND => 4096, MS_MOVE => 8192, MS_REC => 16384, MS_PRIVATE => 1 << 18 };

# syscall() passes a string as a pointer (it must be a variable's, not a constant) and a number as itself: 0 is NULL.
sub mount_at {
  my ($source, $target, $type, $flags, $data) = @_;
  my @pointers = map { defined $_ ? "$_" : 0 } ($source, $target, $type, $data);
  syscall(SYS_MOUNT, $pointers[0], $pointers[1], $pointers[2], $flags, $pointers[3]) == 0
    or die "fake-w1.pl: mount $target: $!\n";
}

sub write_file {
  my ($path, $text) = @_;
  open my $out, '>', $path or die "fake-w1.pl: $path: $!\n";
  print $out $text;
  close $out or die "fake-w1.pl: $path: $!\n";
}

system('modprobe', 'wire') == 0 or die "fake-w1.pl: modprobe wire failed\n";
# Private, so that the binds below are copies of their own and the moves are allowed.
mount_at(undef, '/sys', undef, MS_REC | MS_PRIVATE);
mkdir $stage;
mount_at('stage', $stage, 'tmpfs', 0, 'mode=0700');
mount_at(undef, $stage, undef, MS_PRIVATE);
mkdir "$stage/devices" or die "fake-w1.pl: $stage/devices: $!\n";
mkdir "$stage/w1" or die "fake-w1.pl: $stage/w1: $!\n";
mount_at('w1', "$stage/devices", 'tmpfs', 0, 'mode=0755');
mount_at('w1', "$stage/w1", 'tmpfs', 0, 'mode=0755');

opendir my $devices, '/sys/devices' or die "fake-w1.pl: /sys/devices: $!\n";
for my $entry (grep { !/^\.\.?$/ } readdir $devices) {
  mkdir "$stage/devices/$entry" or die "fake-w1.pl: $stage/devices/$entry: $!\n";
  mount_at("/sys/devices/$entry", "$stage/devices/$entry", undef, MS_BIND | MS_REC);
}
closedir $devices;

my $master = "$stage/devices/w1_bus_master1";
mkdir $master or die "fake-w1.pl: $master: $!\n";
mkdir "$master/$thermometer" or die "fake-w1.pl: $master/$thermometer: $!\n";
write_file("$master/w1_master_slaves", "$thermometer\n");
write_file("$master/$thermometer/w1_slave", "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n");
symlink '../../../devices/w1_bus_master1', "$stage/w1/w1_bus_master1" or die "fake-w1.pl: symlink: $!\n";
symlink "../../../devices/w1_bus_master1/$thermometer", "$stage/w1/$thermometer" or die "fake-w1.pl: symlink: $!\n";

mount_at("$stage/devices", '/sys/devices', undef, MS_MOVE);
mount_at("$stage/w1", '/sys/bus/w1/devices', undef, MS_MOVE);
my $staged = $stage;
syscall(SYS_UMOUNT2, $staged, 0) == 0 or die "fake-w1.pl: umount $stage: $!\n";
rmdir $stage;
print "fake-w1.pl: a 1-Wire bus with $thermometer\n";
