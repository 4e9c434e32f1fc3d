set terminal pngcairo size 900,600 noenhanced
set output 'scale-20261127-154741.png'
set title 'scale-20261127-154741: busy cycles per packet at the switch'
set logscale x
set xlabel 'source MACs in all (log)'
set ylabel 'busy cycles per packet'
set yrange [0:*]
set grid
set key top left
plot 'scale-20261127-154741.dat' index 0 using 1:2 with linespoints lw 2 title '2 guests', 'scale-20261127-154741.dat' index 1 using 1:2 with linespoints lw 2 title '8 guests', 'scale-20261127-154741.dat' index 2 using 1:2 with linespoints lw 2 title '32 guests'
