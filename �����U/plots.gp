# Written by descent. Rerun with: gnuplot <this file>  (from this directory)
# `suffix` lets descent write each image under a temporary name first.
if (!exists("suffix")) suffix = ""
set datafile separator ","
set grid lc rgb "#d0d0d0"
set border lw 1.2
set style data lines
set linetype 1 lc rgb "#0072B2" lw 2
set linetype 2 lc rgb "#E69F00" lw 2
set linetype 3 lc rgb "#009E73" lw 2
set linetype 4 lc rgb "#CC79A7" lw 2
set linetype 5 lc rgb "#000000" lw 2
set linetype 6 lc rgb "#D55E00" lw 2
set linetype 7 lc rgb "#56B4E9" lw 2
set linetype 8 lc rgb "#F0E442" lw 2
set linetype cycle 8

# loss
set title "Training loss per epoch\niris, dense 4->8 + relu, dense 8->3 + softmax, mse loss, batch 32, seed convention"
set xlabel "epoch"
set ylabel "mean training loss (log scale)"
set logscale y
set key top right box opaque width 1 spacing 1.2
set autoscale y
set terminal pngcairo size 960,600 noenhanced font "Sans,12"
set output "loss.png".suffix
plot "metrics.csv" skip 1 using 2:(strcol(1) eq "sgdm" ? $3 : NaN) with lines lw 2 title "sgdm"
set output
set terminal svg size 960,600 dynamic noenhanced font "Sans,12"
set output "loss.svg".suffix
plot "metrics.csv" skip 1 using 2:(strcol(1) eq "sgdm" ? $3 : NaN) with lines lw 2 title "sgdm"
set output

# accuracy
set title "Test accuracy per epoch\niris, dense 4->8 + relu, dense 8->3 + softmax, mse loss, batch 32, seed convention"
set xlabel "epoch"
set ylabel "test accuracy"
unset logscale y
set key bottom right box opaque width 1 spacing 1.2
set yrange [0:1.05]
set terminal pngcairo size 960,600 noenhanced font "Sans,12"
set output "accuracy.png".suffix
plot "metrics.csv" skip 1 using 2:(strcol(1) eq "sgdm" ? $4 : NaN) with lines lw 2 title "sgdm"
set output
set terminal svg size 960,600 dynamic noenhanced font "Sans,12"
set output "accuracy.svg".suffix
plot "metrics.csv" skip 1 using 2:(strcol(1) eq "sgdm" ? $4 : NaN) with lines lw 2 title "sgdm"
set output
