# mcrbench plots: gnuplot -e "dir='build/bench'" tools/mcrbench.gp
# Reads the data mcrbench writes into dir; writes latency.png and
# throughput.png there.

if (!exists("dir")) dir = "build/bench"

set datafile missing "NaN"
set encoding utf8
rings = "mcrring ck dpdk dpdk-rts dpdk-hts dpdk-ptr seed"
colors = "#d62728 #1f77b4 #2ca02c #98df8a #17becf #bcbd22 #7f7f7f"

# --- latency: how often a write is at least this slow --------------------
set terminal pngcairo size 1400,1000 font "sans,10"
set output dir."/latency.png"
set multiplot layout 2,2 title "mcrring write latency, against peers (sampled writes, timer bracket included)"
set logscale xy
set format y "10^{%T}"
set xlabel "write latency (ns)"
set ylabel "fraction of writes at least this slow"
set grid xtics ytics mxtics
set key top right
set yrange [1e-6:1.5]
set xrange [5:*]

lat(s) = dir."/latency-".s.".dat"
panels = "spsc-1M-128 spsc-1M-128-spin spsc-flat-128 mpsc-2w"
titles = "'SPSC paced 1 M/s, 128 B' 'SPSC paced 1 M/s, 128 B, consumer spinning' 'SPSC flat out, 128 B' 'MPSC 2 writers flat out, 128 B, cores of their own'"
do for [p = 1:words(panels)] {
	set title word(titles, p)
	plot for [i = 0:words(rings) - 1] lat(word(panels, p)) index i using 1:2 \
		with steps lw 2 lc rgb word(colors, i + 1) title word(rings, i + 1)
}
unset multiplot

# --- throughput: median with the rounds' min and max ------------------
set output dir."/throughput.png"
set terminal pngcairo size 1400,600 font "sans,10"
unset logscale
set format y "%g"
unset xrange
set yrange [0:*]
set xlabel ""
set ylabel "M records/s (median, bars: min-max over rounds)"
set title "mcrring throughput against peers (consumer draining on the other core)"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -25 noenhanced
set key top right
set grid ytics
plot for [i = 0:words(rings) - 1] dir."/throughput.dat" using (column(2 + 3*i)):(column(3 + 3*i)):(column(4 + 3*i)):xtic(1) \
	lc rgb word(colors, i + 1) title word(rings, i + 1)
