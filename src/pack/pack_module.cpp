// module pack
