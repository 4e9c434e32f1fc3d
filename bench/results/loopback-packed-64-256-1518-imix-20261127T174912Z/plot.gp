set terminal pngcairo size 1100,800 noenhanced
set output 'plot.png'
set multiplot layout 2,1 title 'loopback-packed, 20261127T174912Z'
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.6 border -1
set key outside right top
set grid ytics
set yrange [0:*]
set ylabel 'frontend Mpps (median, min-max)'
plot 'plot.dat' using 2:3:4:xtic(1) title 'vhostswitch', 'plot.dat' using 8:9:10:xtic(1) title 'vhostswitch-xc', 'plot.dat' using 14:15:16:xtic(1) title 'testpmd', 'plot.dat' using 20:21:22:xtic(1) title 'ovs-normal', 'plot.dat' using 26:27:28:xtic(1) title 'ovs-flows'
set ylabel 'busy cycles per packet at the switch (log)'
set xlabel 'frame size (bytes)'
set logscale y
set yrange [*:*]
plot 'plot.dat' using 5:6:7:xtic(1) title 'vhostswitch', 'plot.dat' using 11:12:13:xtic(1) title 'vhostswitch-xc', 'plot.dat' using 17:18:19:xtic(1) title 'testpmd', 'plot.dat' using 23:24:25:xtic(1) title 'ovs-normal', 'plot.dat' using 29:30:31:xtic(1) title 'ovs-flows'
unset multiplot
